// Runs the loopback test server in its own process (so its work does not share the client's event
// loop) and prints its URL. Options arrive as JSON in argv[2].
import { startTestServer, type TestServerOptions } from '../src/llm/testing/test-server.js';

const options = JSON.parse(process.argv[2] ?? '{}') as TestServerOptions;
const server = await startTestServer(options);
process.stdout.write(`${server.url}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  server.close().then(() => process.exit(0));
});
