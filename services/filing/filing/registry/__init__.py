"""filing's replica of identity's registry: the taxpayer (kit.replica) and its PKP status changes. No endpoints of
its own: the obligations and returns slices read it."""
