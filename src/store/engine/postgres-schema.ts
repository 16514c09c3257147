import {
  type KyselyPlugin,
  OperationNodeTransformer,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryId,
  type QueryResult,
  type RawNode,
  type RootOperationNode,
  TableNode,
  type UnknownRow,
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

/** Every table of every statement in `schema`. */
export class SchemaPlugin implements KyselyPlugin {
  private readonly raw: RawTables;
  private readonly built: WithSchemaPlugin;

  constructor(schema: string) {
    this.raw = new RawTables(schema);
    this.built = new WithSchemaPlugin(schema);
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const node = this.raw.transformNode(args.node, args.queryId);
    return this.built.transformQuery({ ...args, node });
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}
