"""The screens of the return screen, its checkout presenter and dialogs."""
