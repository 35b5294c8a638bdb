"""Issue 16's tax month, end to end on the stack `make run` starts: one module per actor or step, `month.run_month`
runs them in order (with a hook between steps for the faulted twin) and `checks.check_month` verifies the end
state."""
