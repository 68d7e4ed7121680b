"""The service desk: customers, cases with their contacts and referrals, bill adjustments,
layaways and special orders, house accounts, service charges and the desk's documents."""
