// A free TCP port on loopback, for the servers a benchmark starts (the tests have their own in test/helpers/ports.ts).
const net = require('node:net');

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

module.exports = { freePort };
