"""One module per user command: argv -> producer -> pipeline -> installer."""
