// `agents:` and the `agent` / `agents` steps: what they compile to, and every mistake with its line:column.
import { compileErrors, compileOk, yaml } from './helpers';

describe('agents', () => {
  it('compiles named and inline agents with their tools under names a model may call', () => {
    const pipeline = compileOk(yaml`
      name: p
      mcp_servers:
        everything: npx --no-install mcp-server-everything stdio
      agents:
        researcher:
          model: openai:gpt-4o-mini
          system: You find facts.
          tools: [everything.get-sum, run_code, "pipeline:child.yaml"]
        writer: { model: local }
        lead: { system: You plan. }
      steps:
        - id: answer
          action: agent
          parameters: { agent: researcher, prompt: "{{ inputs.q }}", max_turns: 4, approve_tools: [run_code] }
        - id: inline
          action: agent
          parameters: { model: echo, tools: [everything.echo], prompt: hi }
        - id: report
          action: agents
          parameters: { coordinator: lead, members: [researcher, writer], prompt: "Report on {{ inputs.q }}" }
    `);
    const [answer, inline, report] = pipeline.steps;
    expect(answer!.actionKind).toBe('agent');
    expect(answer!.agent).toEqual({
      kind: 'agent',
      lead: 'researcher',
      members: [],
      maxTurns: 4,
      approveTools: ['run_code'],
      agents: {
        researcher: {
          model: 'openai:gpt-4o-mini',
          system: 'You find facts.',
          tools: [
            { kind: 'mcp', name: 'everything.get-sum', wireName: 'everything_get-sum', server: 'everything', tool: 'get-sum' },
            { kind: 'run_code', name: 'run_code', wireName: 'run_code' },
            { kind: 'pipeline', name: 'pipeline:child.yaml', wireName: 'child', file: 'child.yaml' },
          ],
        },
      },
    });
    expect(answer!.references).toEqual([{ kind: 'input', name: 'q' }]);
    expect(inline!.agent).toMatchObject({ lead: 'agent', agents: { agent: { model: 'echo', system: null, tools: [{ wireName: 'everything_echo' }] } }, maxTurns: 10 });
    expect(report!.agent).toMatchObject({ kind: 'agents', lead: 'lead', members: ['researcher', 'writer'] });
    expect(Object.keys(report!.agent!.agents)).toEqual(['lead', 'researcher', 'writer']);
  });

  it('reports an unknown agent, member or tool and an undeclared MCP server, each with line:column', () => {
    const diagnostics = compileErrors(yaml`
      name: p
      mcp_servers:
        everything: npx --no-install mcp-server-everything stdio
      agents:
        researcher:
          tools: [everything.get-sum, search.web, calculator]
        lead: { system: You plan. }
      steps:
        - id: a
          action: agent
          parameters: { agent: reseacher, prompt: hi }
        - id: b
          action: agents
          parameters: { coordinator: lead, members: [researcher, critic], prompt: hi, max_turns: 0 }
        - id: c
          action: agent
          parameters: { agent: researcher, approve_tools: [run_code] }
    `);
    expect(diagnostics.map((diagnostic) => [diagnostic.line, diagnostic.code, diagnostic.message])).toEqual([
      [6, 'UNKNOWN_REFERENCE', expect.stringContaining("tool 'search.web' is on MCP server 'search', which mcp_servers does not declare (declared: everything)")],
      [6, 'UNKNOWN_REFERENCE', expect.stringContaining("unknown tool 'calculator'")],
      [11, 'UNKNOWN_REFERENCE', expect.stringMatching(/unknown agent 'reseacher'.*did you mean 'researcher'/)],
      [14, 'UNKNOWN_REFERENCE', expect.stringContaining("unknown agent 'critic'")],
      [14, 'INVALID_VALUE', expect.stringContaining('max_turns must be a whole number')],
      [17, 'MISSING_FIELD', expect.stringContaining('needs parameters.prompt')],
      [17, 'UNKNOWN_REFERENCE', expect.stringContaining("approve_tools names 'run_code', which no agent of this step has")],
    ]);
    expect(diagnostics[0]!.column).toBe(33);
  });

  it('reports an unknown key of an agent through the schema', () => {
    const diagnostics = compileErrors(yaml`
      name: p
      agents:
        a: { modle: local }
      steps:
        - { id: s, action: agent, parameters: { agent: a, prompt: hi } }
    `);
    expect(diagnostics).toEqual([expect.objectContaining({ code: 'UNKNOWN_KEY', line: 3 })]);
  });
});
