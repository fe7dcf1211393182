"""The bus calls the gateway's three edges share: the REST controllers, the MCP tools and the web
pages each take their input their own way (a JSON body, tool arguments, a form) and answer their
own way, but which subject they ask, with which command built from what, and what comes back is
stated here once, so that the three never drift apart."""
