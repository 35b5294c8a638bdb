"""Approaching-deadline reminders: `DeadlineApproaching` for every owed return not yet filed, 7 and 1 working days
before its effective due date, once per return and reminder; a worker that was down catches up on its first pass
with what is still meaningful (`rules`)."""
