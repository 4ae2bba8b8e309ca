"""The Model Context Protocol for the team's AI assistants: `POST /api/mcp` speaks JSON-RPC 2.0 over
streamable HTTP (JSON replies, no server-to-client stream, no sessions) to any MCP client holding a
service token. `protocol` is the JSON-RPC envelope and the MCP lifecycle (`app.mcp`), `tools` the
tools and resources and their calls into the app's services; see docs/mcp.md.
"""
