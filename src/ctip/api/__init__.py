"""The JSON API at ``/api/v1/`` (django-ninja, decision 0006 and 0027)."""
