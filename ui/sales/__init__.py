"""The screens of the sale screen and its payment presenter."""
