import { CodeBlock } from '../components/copy';
import { useSession } from '../session';

// An empty organization's first page: how to push data, through the native API and in each
// vendor's own format (the request shapes of the vendors' documentation, with this server as
// the host). $KPIHUB_API_KEY is the key signed in with; it is never shown here.

function commands(host: string, orgId: string) {
  const key = '$KPIHUB_API_KEY';
  return [
    {
      title: 'Native API: a dataset with a metric, then its values',
      code: `curl -X POST ${host}/v1/datasets \\
  -H "Authorization: Bearer ${key}" -H "Content-Type: application/json" \\
  -d '{"name":"Energy","metrics":[{"name":"Electricity","unit":"kWh","value_type":"number","frequency":"monthly"}]}'

# then, with the metric id from the answer (metrics[0].id):
curl -X PUT ${host}/v1/metrics/$METRIC_ID/data_points \\
  -H "Authorization: Bearer ${key}" -H "Content-Type: application/json" \\
  -d '{"data_points":[{"period_start":"2024-01-01","period_end":"2024-01-31","value":"1250.5"}]}'`,
    },
    {
      title: 'Visible',
      code: `curl -X POST ${host}/metrics \\
  --header "Authorization: Bearer ${key}" --header "Content-Type: application/json" \\
  --data '{"name":"Revenue","frequency":"monthly","unit":"USD"}'

curl \\
 --request PUT '${host}/metrics/$METRIC_ID/data_points' \\
 --header "Authorization: Bearer ${key}" \\
 --header "Content-Type: application/json" \\
 --data '{"data_points":[{"date":"2019-01-01","value":"10.99"},{"date":"2019-02-01","value":"20.99"}]}'`,
    },
    {
      title: 'Workiva (programId is a dataset id, metricId one of its metrics)',
      code: `curl -X POST ${host}/prototype/platform/programs/$DATASET_ID/metrics/$METRIC_ID/values/batchUpsertion \\
-H 'Content-Type: application/json' \\
-H 'Accept: application/json' \\
-H "Authorization: Bearer ${key}" \\
-H 'X-Version: 2022-01-01' \\
-d '{"data":[{"reportingPeriod":{"year":2024,"start":1,"end":1},"value":"512.8768743"}]}'`,
    },
    {
      title: 'AchieveIt (External ID, Current Metric Value, As Of Date, Comment)',
      code: `printf 'External ID,Current Metric Value,As Of Date,Comment\\nREV-1,1200,2024-01-31,January\\n' > my_updates.csv
curl -L -XPOST \\
    -H "Authorization: API-KEY ${key}" \\
    --data-binary "@my_updates.csv" \\
    ${host}/api/metricupdates/my_updates.csv`,
    },
    {
      title: 'Dcycle',
      code: `curl -X POST ${host}/v1/custom-kpi-datasets \\
  -H "x-api-key: ${key}" -H "x-organization-id: ${orgId}" -H "x-user-id: me" \\
  -H "Content-Type: application/json" \\
  -d '{"name":"Sustainability","kpis":[{"name":"Water use","unit":"m3","value_type":"number","required":false,"sort_order":0}]}'`,
    },
    {
      title: 'Vitally (analytics: organizations, accounts, users, events)',
      code: `curl -X POST ${host}/analytics/v1/batch \\
-H "Authorization: Basic ${key}" \\
-H "Content-Type: application/json" \\
-d '[{"type":"account","accountId":"123456","traits":{"name":"Argentina"},"messageId":"m-1","timestamp":"2018-05-15T12:31:12.123Z"},
{"type":"track","userId":"32","event":"Signed in","properties":{},"messageId":"m-2","timestamp":"2018-05-15T12:31:12.123Z"}]'`,
    },
  ];
}

export function FirstRun() {
  const { session } = useSession();
  const host = location.origin;
  return (
    <section class="first-run">
      <h1>Welcome to KPI Hub</h1>
      <p>
        <strong>{session.org_name}</strong> has no data yet. Push some with any of these commands, then reload
        this page. Set the key first: <code>export KPIHUB_API_KEY=kph_…</code> (the key you signed in with).
        The whole API is described at <a href="/docs">/docs</a>.
      </p>
      {commands(host, session.org_id).map((c) => (
        <section key={c.title}>
          <h2>{c.title}</h2>
          <CodeBlock code={c.code} label={`${c.title} command`} />
        </section>
      ))}
    </section>
  );
}
