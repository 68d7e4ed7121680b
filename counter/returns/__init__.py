"""Returns and exchanges: the draft a clerk builds, the policy that decides each line, the
look-up of the receipt, the quote, the refund split over tenders, and the command."""
