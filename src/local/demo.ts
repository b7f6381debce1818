import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { Target } from '#core/config.ts';
import { targetSchema } from '#core/config.ts';

/**
 * A small shop: customers, products, orders and their items, with foreign keys, unique and
 * secondary indexes, check constraints and timestamps spread over the last 90 days.
 * `scale` 1 is about 5k customers, 30k orders and 75k order items.
 */
function seedSql(scale: number): string {
  const customers = 5_000 * scale;
  const products = 500;
  const orders = 30_000 * scale;
  return `
    create table customers (
      id bigint generated always as identity primary key,
      email text not null unique,
      name text not null,
      created_at timestamptz not null default now()
    );
    create table products (
      id bigint generated always as identity primary key,
      sku text not null unique,
      name text not null,
      price_cents integer not null check (price_cents > 0)
    );
    create table orders (
      id bigint generated always as identity primary key,
      customer_id bigint not null references customers (id),
      status text not null check (status in ('pending', 'paid', 'shipped', 'cancelled')),
      total_cents bigint not null default 0 check (total_cents >= 0),
      created_at timestamptz not null default now()
    );
    create index orders_customer_id_idx on orders (customer_id);
    create index orders_created_at_idx on orders (created_at);
    create table order_items (
      order_id bigint not null references orders (id) on delete cascade,
      product_id bigint not null references products (id),
      quantity integer not null check (quantity > 0),
      unit_price_cents integer not null check (unit_price_cents > 0),
      primary key (order_id, product_id)
    );
    create index order_items_product_id_idx on order_items (product_id);

    insert into customers (email, name, created_at)
      select 'customer' || g || '@example.com', 'Customer ' || g, now() - interval '120 days' + g * interval '1 second'
        from generate_series(1, ${customers}) g;
    insert into products (sku, name, price_cents)
      select 'SKU-' || lpad(g::text, 5, '0'), 'Product ' || g, 100 + (g * 7919) % 20000
        from generate_series(1, ${products}) g;
    insert into orders (customer_id, status, created_at)
      select 1 + (g * 7) % ${customers},
             (array['pending', 'paid', 'shipped', 'cancelled'])[1 + g % 4],
             now() - interval '90 days' * (1 - g::float8 / ${orders})
        from generate_series(1, ${orders}) g;
    insert into order_items (order_id, product_id, quantity, unit_price_cents)
      select o.id, 1 + (o.id * 31 + k * 97) % ${products}, 1 + (o.id + k) % 4, p.price_cents
        from orders o
        cross join generate_series(0, (o.id % 4)::int) k
        join products p on p.id = 1 + (o.id * 31 + k * 97) % ${products};
    update orders o set total_cents = s.total
      from (select order_id, sum(quantity * unit_price_cents) as total from order_items group by order_id) s
     where s.order_id = o.id;
    analyze;`;
}

/** New orders, as the shop's application would keep writing them between drills. */
const TRAFFIC_SQL = `
  insert into orders (customer_id, status)
    select 1 + (random() * 999)::int, 'paid' from generate_series(1, 5);
  insert into order_items (order_id, product_id, quantity, unit_price_cents)
    select o.id, p.id, 1, p.price_cents
      from orders o join products p on p.id = 1 + o.id % 500
     where o.total_cents = 0 and not exists (select 1 from order_items i where i.order_id = o.id);
  update orders o set total_cents = i.unit_price_cents
    from order_items i
   where i.order_id = o.id and o.total_cents = 0;`;

/**
 * Makes sure a demo source exists in `dataDir`: created and seeded on first use, and on later
 * uses given a few new orders, so it looks like a live database and its data stays fresh.
 */
export async function ensureDemoSource(dataDir: string, scale = 1): Promise<{ created: boolean }> {
  const created = !existsSync(join(dataDir, 'PG_VERSION'));
  if (created) await rm(dataDir, { recursive: true, force: true });
  await mkdir(dirname(dataDir), { recursive: true });
  const db = new PGlite(dataDir);
  try {
    await db.waitReady;
    await db.exec(created ? seedSql(scale) : TRAFFIC_SQL);
  } catch (error) {
    if (created) await rm(dataDir, { recursive: true, force: true });
    throw error;
  } finally {
    await db.close();
  }
  return { created };
}

/** The checks a drill of the demo source runs: one of each kind. */
export function demoTarget(dataDir: string): Target {
  return targetSchema.parse({
    name: 'demo',
    engine: 'postgres',
    database: 'postgres',
    source: { dataDir },
    checks: {
      integrity: true,
      tables: {
        customers: { minRows: 1000 },
        orders: { minRows: 10_000, freshness: { column: 'created_at', maxAgeMinutes: 1440 } },
        order_items: { minRows: 10_000 },
      },
      // Compared with the last drill's copy: the first drill has none yet, the next ones do.
      baseline: {},
      sql: [
        {
          name: 'no negative totals',
          query: 'select count(*) from orders where total_cents < 0',
          expect: { equals: 0 },
        },
        {
          name: 'order totals match their items',
          query: `select count(*) from orders o
                   where o.total_cents <> (select coalesce(sum(quantity * unit_price_cents), 0)
                                             from order_items i where i.order_id = o.id)`,
          expect: { equals: 0 },
        },
        {
          name: 'every order has a customer',
          query:
            'select count(*) from orders o left join customers c on c.id = o.customer_id where c.id is null',
          expect: { equals: 0 },
        },
      ],
    },
  });
}
