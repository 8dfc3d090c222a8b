// `mcp_servers` (top level and config) and the parameters of `mcp` steps: what compiles, and every mistake with its line:column.
import { compilePipeline } from '../../src/compiler';
import { compileErrors, compileOk, onlyDiagnostic, stepOf, yaml } from './helpers';

describe('mcp_servers', () => {
  it('compiles each form of server into the spec the MCP activity takes', () => {
    const pipeline = compileOk(yaml`
      name: p
      mcp_servers:
        everything:
          command: node
          args: [server.js, stdio, --port, 3001]
          env: { LOG_LEVEL: debug, WORKERS: 2 }
        remote:
          url: https://tools.example.com/mcp
          headers: { X-Team: search }
        shorthand_url: http://127.0.0.1:3001/mcp
        shorthand_command: npx --no-install mcp-server-everything stdio
      steps:
        - id: a
          action: mcp
          parameters: { server: everything, tool: echo, arguments: { message: hi } }
    `);
    expect(pipeline.mcpServers).toEqual({
      everything: { command: 'node', args: ['server.js', 'stdio', '--port', '3001'], env: { LOG_LEVEL: 'debug', WORKERS: '2' } },
      remote: { url: 'https://tools.example.com/mcp', headers: { 'X-Team': 'search' } },
      shorthand_url: { url: 'http://127.0.0.1:3001/mcp' },
      shorthand_command: { command: 'npx', args: ['--no-install', 'mcp-server-everything', 'stdio'] },
    });
  });

  it('takes config.mcp_servers too, and the top level wins on a name in both', () => {
    const pipeline = compileOk(yaml`
      name: p
      config:
        model: echo
        mcp_servers:
          shared: npx config-server
          only_in_config: { url: "http://localhost:9000/mcp" }
      mcp_servers:
        shared: npx top-level-server
      steps:
        - id: a
          action: mcp
          parameters: { server: shared, tool: echo }
    `);
    expect(pipeline.mcpServers).toEqual({
      shared: { command: 'npx', args: ['top-level-server'] },
      only_in_config: { url: 'http://localhost:9000/mcp' },
    });
  });

  it("resolves a relative cwd against the pipeline file's folder and keeps an absolute one", () => {
    const text = yaml`
      name: p
      mcp_servers:
        relative: { command: node, args: [server.js], cwd: ../tools }
        absolute: { command: node, args: [server.js], cwd: /opt/tools }
      steps:
        - id: a
          action: mcp
          parameters: { server: relative, tool: echo }
    `;
    const result = compilePipeline(text, { file: 'pipelines/mine/p.yaml' });
    if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
    expect(result.pipeline.mcpServers?.relative).toMatchObject({ cwd: 'pipelines/tools' });
    expect(result.pipeline.mcpServers?.absolute).toMatchObject({ cwd: '/opt/tools' });
  });

  it('leaves mcpServers out of a pipeline that declares none', () => {
    const pipeline = compileOk(yaml`
      name: p
      steps:
        - id: a
          action: do it
    `);
    expect('mcpServers' in pipeline).toBe(false);
  });

  it("reports a misspelt key at the key, with a did-you-mean", () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        mcp_servers:
          everything:
            comand: node
        steps:
          - id: a
            action: do it
      `,
      'UNKNOWN_KEY',
    );
    expect(diagnostic).toMatchObject({ line: 4, column: 5, path: 'mcp_servers.everything.comand' });
    expect(diagnostic.message).toContain("did you mean 'command'");
  });

  it('reports a server with neither command nor url, and one with both', () => {
    const diagnostics = compileErrors(yaml`
      name: p
      mcp_servers:
        nothing: { env: { A: b } }
        both: { command: node, url: "http://localhost:1/mcp" }
      steps:
        - id: a
          action: do it
    `);
    expect(diagnostics).toEqual([
      expect.objectContaining({ code: 'MISSING_FIELD', line: 3, column: 12, path: 'mcp_servers.nothing' }),
      expect.objectContaining({ code: 'INVALID_VALUE', line: 4, column: 9, path: 'mcp_servers.both' }),
    ]);
    expect(diagnostics[0]!.message).toBe("MCP server 'nothing' needs 'command' (a program started over stdio) or 'url' (a Streamable HTTP endpoint)");
    expect(diagnostics[1]!.message).toContain("has both 'command' and 'url'");
  });

  it("reports keys of the other kind of server: headers on a command, cwd on a url", () => {
    const diagnostics = compileErrors(yaml`
      name: p
      mcp_servers:
        local:
          command: node
          headers: { Authorization: x }
        remote:
          url: http://localhost:1/mcp
          cwd: /tmp
      steps:
        - id: a
          action: do it
    `);
    expect(diagnostics.map(({ code, line, column, path }) => ({ code, line, column, path }))).toEqual([
      { code: 'INVALID_VALUE', line: 5, column: 14, path: 'mcp_servers.local.headers' },
      { code: 'INVALID_VALUE', line: 8, column: 10, path: 'mcp_servers.remote.cwd' },
    ]);
    expect(diagnostics[0]!.message).toBe("'headers' only applies to a 'url' MCP server, and 'local' has a 'command'");
  });

  it('reports values of the wrong type and a URL that is not http(s), in config as well', () => {
    const diagnostics = compileErrors(yaml`
      name: p
      config:
        mcp_servers:
          numbered: 42
          ftp: { url: "ftp://example.com/mcp" }
          listed: { command: node, args: server.js }
      steps:
        - id: a
          action: do it
    `);
    expect(diagnostics.map(({ code, line, path }) => ({ code, line, path }))).toEqual([
      { code: 'INVALID_VALUE', line: 4, path: 'config.mcp_servers.numbered' },
      { code: 'INVALID_VALUE', line: 5, path: 'config.mcp_servers.ftp.url' },
      { code: 'INVALID_VALUE', line: 6, path: 'config.mcp_servers.listed.args' },
    ]);
    expect(diagnostics[1]!.message).toBe("'config.mcp_servers.ftp.url' must be an http:// or https:// URL, not 'ftp://example.com/mcp'");
  });
});

describe('mcp steps', () => {
  it('compiles server, tool and templated arguments; the templates make dependencies, and no output schema is asked of the tool', () => {
    const pipeline = compileOk(yaml`
      name: p
      inputs:
        topic: string
      mcp_servers:
        everything: npx --no-install mcp-server-everything
      steps:
        - id: draft
          action: Write about {{ topic }}
        - id: call
          action: mcp
          parameters:
            server: everything
            tool: echo
            arguments: { message: "{{ draft.result }}" }
        - id: use
          action: "Explain {{ call.result.text }}"
    `);
    expect(stepOf(pipeline, 'call')).toMatchObject({ actionKind: 'mcp', dependsOn: ['draft'], outputSchema: null });
    expect(stepOf(pipeline, 'use').dependsOn).toEqual(['call']);
  });

  it('accepts a URL, a command line or an inline server, and arguments given by one template', () => {
    compileOk(yaml`
      name: p
      inputs:
        payload: object
      steps:
        - id: by_url
          action: mcp
          parameters: { server: "http://localhost:3001/mcp", tool: echo }
        - id: by_command
          action: mcp
          parameters: { server: "node server.js stdio", tool: echo }
        - id: inline
          action: mcp
          parameters: { server: { command: node, args: [server.js] }, tool: echo, arguments: "{{ inputs.payload }}" }
    `);
  });

  it("reports a missing tool at the step's parameters, with line:column", () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        steps:
          - id: call
            action: mcp
            parameters:
              server: npx mcp-server-everything
              arguments: { message: hi }
      `,
      'MISSING_FIELD',
    );
    expect(diagnostic).toMatchObject({ line: 5, column: 5, path: 'steps[0].parameters.tool' });
    expect(diagnostic.message).toBe("step 'call': action 'mcp' needs parameters.tool: the name of the tool to call");
  });

  it('reports a missing server, naming the servers the pipeline declares', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        mcp_servers:
          everything: npx mcp-server-everything
          files: npx mcp-server-filesystem /tmp
        steps:
          - id: call
            action: mcp
            parameters: { tool: echo }
      `,
      'MISSING_FIELD',
    );
    expect(diagnostic).toMatchObject({ line: 8, column: 5, path: 'steps[0].parameters.server' });
    expect(diagnostic.message).toBe(
      "step 'call': action 'mcp' needs parameters.server: a name from mcp_servers (everything, files), a Streamable HTTP URL or a command line",
    );
  });

  it('reports an mcp step with no parameters at its action', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        steps:
          - id: call
            action: mcp
      `,
      'MISSING_FIELD',
    );
    expect(diagnostic).toMatchObject({ line: 4, column: 5, path: 'steps[0].parameters' });
    expect(diagnostic.message).toContain('needs parameters: { server, tool, arguments }');
  });

  it('reports every mistake of a step at once: bad tool, arguments that are a list, a misspelt parameter', () => {
    const diagnostics = compileErrors(yaml`
      name: p
      steps:
        - id: call
          action: mcp
          parameters:
            server: npx mcp-server-everything
            tool: 42
            arguments: [hi]
            argument: { message: hi }
    `);
    expect(diagnostics.map(({ code, line, column }) => ({ code, line, column }))).toEqual([
      { code: 'INVALID_VALUE', line: 7, column: 13 },
      { code: 'INVALID_VALUE', line: 8, column: 18 },
      { code: 'UNKNOWN_KEY', line: 9, column: 7 },
    ]);
    expect(diagnostics[2]!.message).toContain("did you mean 'arguments'");
  });

  it('reports an inline server with neither command nor url', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        steps:
          - id: call
            action: mcp
            parameters: { server: { cmd: node }, tool: echo }
      `,
      'INVALID_VALUE',
    );
    expect(diagnostic).toMatchObject({ line: 5, path: 'steps[0].parameters.server' });
    expect(diagnostic.message).toContain("either 'command' or 'url'");
  });
});
