// Start a real AT Protocol PDS backed by an in-memory PLC directory, both on 127.0.0.1.
// Usage: PDS_JWT_SECRET=... node launch.mjs DATA_DIR. Prints one JSON line {"pds": URL, "plc": URL} when ready
// and runs until it is sent SIGTERM.
import net from 'node:net'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import * as plc from '@did-plc/server'
import { PDS } from '@atproto/pds'
import { Secp256k1Keypair } from '@atproto/crypto'
import * as ui8 from 'uint8arrays'

// Every server these packages start listens on loopback only.
const listen = net.Server.prototype.listen
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' && typeof args[1] !== 'string') {
    args.splice(1, 0, '127.0.0.1')
  }
  return listen.apply(this, args)
}

async function freePort() {
  const server = net.createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

const dataDirectory = process.argv[2]
mkdirSync(path.join(dataDirectory, 'blobs'), { recursive: true })

const plcPort = await freePort()
const plcServer = plc.PlcServer.create({ db: plc.Database.mock(), port: plcPort })
await plcServer.start()
const plcUrl = `http://127.0.0.1:${plcPort}`

const rotationKey = await Secp256k1Keypair.create({ exportable: true })
const recoveryKey = await Secp256k1Keypair.create()
const port = await freePort()
const pds = await PDS.fromEnv({
  devMode: true,
  port,
  hostname: 'localhost',
  dataDirectory,
  blobstoreDiskLocation: path.join(dataDirectory, 'blobs'),
  didPlcUrl: plcUrl,
  recoveryDidKey: recoveryKey.did(),
  plcRotationKeyK256PrivateKeyHex: ui8.toString(await rotationKey.export(), 'hex'),
  adminPassword: randomBytes(16).toString('hex'),
  jwtSecret: process.env.PDS_JWT_SECRET || randomBytes(16).toString('hex'),
  serviceHandleDomains: ['.test'],
  inviteRequired: false,
  disableSsrfProtection: true,
  rateLimitsEnabled: false,
  crawlers: [],
})
await pds.start()
console.log(JSON.stringify({ pds: `http://127.0.0.1:${port}`, plc: plcUrl }))

async function stop() {
  await pds.destroy()
  await plcServer.destroy()
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
