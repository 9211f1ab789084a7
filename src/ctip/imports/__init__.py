"""The spreadsheet import pipeline, between audit and the fact apps (decision 0053).

``pipeline``: what every import shares (reading, checking, the preview and the import, the
background job); ``views``: the pages of an import and of its job; ``tasks``: the preview and the
import run by the worker. Each app registers its kinds of import when it is ready (its
``AppConfig.ready`` imports the module that calls ``pipeline.register``), so the pipeline imports
no app that uses it.
"""
