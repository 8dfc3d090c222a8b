// `orc tools [--json]`: every tool of the registry, its actions and parameters, and whether this worker can run it.
import type { Command } from 'commander';
import { z } from 'zod';
import { TOOLS, type Availability } from '../../tools';

export interface ToolListing {
  name: string;
  aliases: string[];
  description: string;
  available: boolean;
  reason: string | null;
  actions: Array<{ name: string; description: string; parameters: unknown }>;
}

/** The registry as `orc tools` shows it, availability judged with `environment` (the worker's). */
export async function listTools(environment: NodeJS.ProcessEnv = process.env): Promise<ToolListing[]> {
  return Promise.all(
    TOOLS.map(async (tool) => {
      let availability: Availability;
      try {
        availability = await tool.availability(environment);
      } catch (error) {
        availability = { available: false, reason: (error as Error).message };
      }
      return {
        name: tool.name,
        aliases: tool.aliases ?? [],
        description: tool.description,
        available: availability.available,
        reason: availability.available ? null : availability.reason,
        actions: Object.entries(tool.actions).map(([name, action]) => ({ name, description: action.description, parameters: parameterSchema(action.parameters) })),
      };
    }),
  );
}

function parameterSchema(schema: z.ZodType): unknown {
  try {
    const json = z.toJSONSchema(schema, { unrepresentable: 'any' }) as Record<string, unknown>;
    delete json.$schema;
    return json;
  } catch {
    return {};
  }
}

function parameterNames(schema: unknown): string {
  const properties = (schema as { properties?: Record<string, unknown>; required?: string[] }).properties ?? {};
  const required = new Set((schema as { required?: string[] }).required ?? []);
  return Object.keys(properties)
    .map((name) => (required.has(name) ? name : `${name}?`))
    .join(', ');
}

export function register(program: Command): void {
  program
    .command('tools')
    .description('list the tools steps can call (tool: NAME, action: ACTION), and whether this worker can run each')
    .option('--json', 'print the list as JSON')
    .action(async (flags: { json?: boolean }) => {
      const tools = await listTools();
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(tools, null, 2)}\n`);
        return;
      }
      for (const tool of tools) {
        const aliases = tool.aliases.length > 0 ? ` (also ${tool.aliases.join(', ')})` : '';
        process.stdout.write(`${tool.name}${aliases}: ${tool.available ? 'available' : `unavailable: ${tool.reason}`}\n  ${tool.description}\n`);
        for (const action of tool.actions) process.stdout.write(`  - ${action.name}(${parameterNames(action.parameters)}): ${action.description}\n`);
      }
    });
}
