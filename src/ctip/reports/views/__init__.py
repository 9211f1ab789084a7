"""Indicator tables, dashboards and their exports, one module per page or group of pages:
the indicator table and its spreadsheets (``tables``), the person-level files for CTDC and
HTCDS with the public release's page (``releases``), the dashboard and its PDF
(``dashboards``); what they share is ``base``'s (the unit, the period, the query string).

Suppression rule: every export is suppressed (counts of people below the threshold show as
"< 5", with complementary suppression); on screen a table is suppressed when the viewer does
not hold ``case.view`` over the unit. A unit outside the viewer's ``report.view`` scope answers
404; a bad period or an unknown indicator gives a plain message (status 400).
"""
