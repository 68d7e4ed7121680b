"""Card payments through an integrated terminal: the port (``terminal``) and the journaled
requests that make sure a card is never charged twice (``requests``)."""
