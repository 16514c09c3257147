// The HTTP ceiling: a bare Fastify route that takes the same request as Visible's PUT
// (JSON body parsed, params routed) and answers without touching a database.
import Fastify from 'fastify';

const app = Fastify({ logger: false, bodyLimit: 10 * 1024 * 1024 });
app.put('/metrics/:metric_id/data_points', async (request) => {
  const body = request.body as { data_points: unknown[] };
  return { data_points: body.data_points.length };
});
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
process.stdout.write('ready\n');
