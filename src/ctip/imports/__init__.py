"""The spreadsheet import pipeline, between audit and the fact apps (decision 0053).

``pipeline``: what every import shares (reading, checking, the preview and the import, the
background job); ``views``: the pages of an import and of its job; ``tasks``: the preview and the
import run by the worker. Each app names its kinds of import when it is ready (its
``AppConfig.ready`` calls ``kinds.declare`` with the module that calls ``pipeline.register``,
imported the first time the kind is used: decision 0072), so the pipeline imports no app that
uses it.
"""
