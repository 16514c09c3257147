import {
  type KyselyPlugin,
  type OperationNode,
  OperationNodeTransformer,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryId,
  type QueryResult,
  RawNode,
  type RootOperationNode,
  TableNode,
  type UnknownRow,
  ValueNode,
  WithSchemaPlugin,
} from 'kysely';

// The `?schema=` of KPIHUB_DATABASE_URL, honoured by naming it in every statement rather than
// through the connection's search_path. A search_path sent as a startup option is refused
// by PgBouncer in transaction mode (or ignored, and the tables land in `public`), and a
// `SET search_path` would stay on a server connection that PgBouncer hands to another
// client at the next transaction. A schema-qualified name needs no session state at all.
//
// Kysely's WithSchemaPlugin qualifies the tables of the queries Kysely builds. Raw SQL is
// opaque to it, so raw SQL names its tables with `sql.table('name')`, which this plugin
// qualifies too; a bare table name in raw SQL is not found (the test suite connects with a
// search_path of no schema, so such a statement fails there).

/** Qualifies the `sql.table(...)` parameters of raw SQL. */
class RawTables extends OperationNodeTransformer {
  constructor(private readonly schema: string) {
    super();
  }

  protected override transformRaw(node: RawNode, queryId?: QueryId): RawNode {
    const raw = super.transformRaw(node, queryId);
    return {
      ...raw,
      parameters: raw.parameters.map((p) =>
        TableNode.is(p) && !p.table.schema
          ? TableNode.createWithSchema(this.schema, p.table.identifier.name)
          : p,
      ),
    };
  }
}

/**
 * `node` with its unqualified sql.table(...) names in `schema`, when it is raw SQL whose
 * parameters are only values, tables and more such raw SQL; undefined for anything else
 * (a query Kysely built, or raw SQL holding one), which takes the generic passes.
 */
function qualifiedRaw(node: OperationNode, schema: string): OperationNode | undefined {
  if (ValueNode.is(node)) return node;
  if (TableNode.is(node))
    return node.table.schema ? node : TableNode.createWithSchema(schema, node.table.identifier.name);
  if (!RawNode.is(node)) return undefined;
  let parameters: OperationNode[] | undefined;
  for (let i = 0; i < node.parameters.length; i++) {
    const p = node.parameters[i];
    const q = qualifiedRaw(p, schema);
    if (!q) return undefined;
    if (q !== p) {
      parameters ??= [...node.parameters];
      parameters[i] = q;
    }
  }
  return parameters ? RawNode.create(node.sqlFragments, parameters) : node;
}

/** Every table of every statement in `schema`. */
export class SchemaPlugin implements KyselyPlugin {
  private readonly raw: RawTables;
  private readonly built: WithSchemaPlugin;

  constructor(private readonly schema: string) {
    this.raw = new RawTables(schema);
    this.built = new WithSchemaPlugin(schema);
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    // Raw SQL made only of text, values and sql.table(...) (the bulk statements: most of
    // the write path) is qualified in one light walk; two generic passes over every node
    // of those statements took 8 % of the server's time on Vitally batches.
    const light = qualifiedRaw(args.node, this.schema);
    if (light) return light as RootOperationNode;
    const node = this.raw.transformNode(args.node, args.queryId);
    return this.built.transformQuery({ ...args, node });
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}
