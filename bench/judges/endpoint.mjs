// A chat-completions endpoint with a fixed latency, run as its own process so that its work never
// shares the measured process's thread. Prints its base URL on stdout, then serves until killed.
import { createServer } from 'node:http';
import { setTimeout } from 'node:timers';

const latencyMs = Number(process.argv[2] ?? 200);
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [{ id: 'bench-judge', object: 'model' }] }));
      return;
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const text = body.messages.at(-1).content;
    // A deterministic score 0-5 from the request text, then a one-line explanation.
    let h = 0;
    for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) >>> 0;
    const answer = {
      object: 'chat.completion',
      model: body.model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: `${h % 6}\nA fixed explanation.` },
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: Math.ceil(text.length / 4), completion_tokens: 6 },
    };
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    }, latencyMs);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  console.log(`http://127.0.0.1:${server.address().port}/v1`);
});
