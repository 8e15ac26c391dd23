"""The checking pipeline every front end shares: plan -> findings -> decisions -> report."""
