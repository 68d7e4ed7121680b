"""What keeps the record honest: approvals bound to one request, remote approval, the
rules a received journal entry must meet, card data kept out, and the outbox of what a
commit still owes (receipts, credit notes, drawer openings)."""
