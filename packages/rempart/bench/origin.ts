import { createServer } from 'node:http';

// The bench origin: answers every request with a small fixed body, as fast as Node can, so the figures
// measure the proxy and not the application. Prints its port on stdout.
const body = Buffer.from('{"ok":true,"service":"bench-origin"}\n');
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(
    `${JSON.stringify({ event: 'ready', port: typeof addr === 'object' && addr ? addr.port : 0 })}\n`,
  );
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
