import { z } from 'zod'

/** Everything the gateway reads from the environment, validated once at start-up. */
export interface GatewayConfig {
  port: number
  host: string
  /** Simulated WhatsApp from `wafleet/testing` instead of the real servers. */
  demo: boolean
  /** Postgres when set; otherwise SQLite in `dataDir`. */
  databaseUrl: string | null
  /** Postgres schema of wafleet's tables and the gateway's own. */
  databaseSchema: string
  dataDir: string
  /** From WAFLEET_ADMIN_KEY; when null a key is generated on first start and stored hashed. */
  adminKey: string | null
  /** Largest request body in bytes. */
  maxUploadSize: number
  /** Refuse webhook endpoints and media URLs that resolve to loopback or private addresses. */
  blockPrivateNetworks: boolean
  /** Base64 of 32 bytes: encrypts credentials and Signal keys at rest. */
  encryptionKey: Buffer | null
  logLevel: string
}

const flag = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off', ''])
  .transform((value) => ['1', 'true', 'yes', 'on'].includes(value))

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  WAFLEET_DEMO: flag.default(false),
  DATABASE_URL: z.string().min(1).optional(),
  DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier').default('wafleet'),
  DATA_DIR: z.string().min(1).default('./data'),
  WAFLEET_ADMIN_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  MAX_UPLOAD_SIZE: z.coerce.number().int().positive().default(50 * 1024 * 1024),
  BLOCK_PRIVATE_NETWORKS: flag.optional(),
  WAFLEET_ENCRYPTION_KEY: z
    .string()
    .transform((value) => Buffer.from(value, 'base64'))
    .refine((key) => key.length === 32, 'must be 32 bytes in base64')
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
})

export class ConfigError extends Error {}

/** Reads the environment (and `--demo` among the arguments). Throws a readable ConfigError. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, argv: readonly string[] = process.argv.slice(2)): GatewayConfig {
  // Empty values count as unset: `PORT= npm start` should not mean port 0.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''))
  const parsed = schema.safeParse(present)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`)
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`)
  }
  const values = parsed.data
  const demo = values.WAFLEET_DEMO || argv.includes('--demo')
  return {
    port: values.PORT,
    host: values.HOST,
    demo,
    databaseUrl: values.DATABASE_URL ?? null,
    databaseSchema: values.DATABASE_SCHEMA,
    dataDir: values.DATA_DIR,
    adminKey: values.WAFLEET_ADMIN_KEY ?? null,
    maxUploadSize: values.MAX_UPLOAD_SIZE,
    // On by default; the offline demo turns it off so webhooks can reach a receiver on this machine.
    blockPrivateNetworks: values.BLOCK_PRIVATE_NETWORKS ?? !demo,
    encryptionKey: values.WAFLEET_ENCRYPTION_KEY ?? null,
    logLevel: values.LOG_LEVEL,
  }
}
