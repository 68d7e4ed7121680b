"""HQ's back office on the web (issue #18): server-rendered pages for departments, managers
and HQ staff, from the same server as the lanes' API (mounted under ``/office``)."""
