"""Forms of the pages of cases (``cases``) and situations (``situations``): they only turn
input into values; ``cases.actions`` decides."""
