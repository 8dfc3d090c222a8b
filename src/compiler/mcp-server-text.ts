// An MCP server written as text (in `mcp_servers` or an `mcp` step's `server`), shared by the compiler and the workflow.
import type { z } from 'zod';
import type { mcpServerSpecSchema } from '../base/compiled-pipeline';

export type McpServer = z.infer<typeof mcpServerSpecSchema>;

/**
 * An http(s) URL is a Streamable HTTP endpoint; anything else is a command line split on whitespace (arguments
 * that contain spaces need `{ command, args }`).
 */
export function mcpServerFromText(text: string): McpServer {
  const trimmed = text.trim();
  if (/^https?:\/\//i.test(trimmed)) return { url: trimmed };
  const [command, ...args] = trimmed.split(/\s+/);
  return { command: command ?? '', args };
}
