// Local Bluesky PDS with a loopback PLC directory (in-memory), for tests.
//   PLC_PORT, PDS_PORT: the ports (default 2582, 2583), both on 127.0.0.1 only
//   PDS_DATA_DIR: where the PDS keeps its SQLite files and blobs (default: a fresh
//                 temporary folder, removed on exit)
//   PDS_JWT_SECRET: the secret that signs session JWTs (tests forge an expired one)
// Prints "ready plc=<port> pds=<port>" once both answer; exits on SIGTERM/SIGINT.
const net = require('net')
const fs = require('fs'); const os = require('os'); const path = require('path')

// Both servers call listen(port) without a host, which binds every interface: keep
// them on loopback, as tests must not be reachable from (or reach) the network.
const listen = net.Server.prototype.listen
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' && (args.length === 1 || typeof args[1] === 'function')) {
    args.splice(1, 0, '127.0.0.1')
  }
  return listen.apply(this, args)
}

const { PlcServer, Database: PlcDb } = require('@did-plc/server')
const pds = require('@atproto/pds')

async function main() {
  const plcPort = Number(process.env.PLC_PORT || 2582)
  const pdsPort = Number(process.env.PDS_PORT || 2583)
  const plc = PlcServer.create({ db: PlcDb.mock(), port: plcPort })
  await plc.start()
  let dir = process.env.PDS_DATA_DIR
  if (dir) {
    fs.mkdirSync(dir, { recursive: true })
  } else {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pds-'))
    const created = dir
    process.on('exit', () => fs.rmSync(created, { recursive: true, force: true }))
  }
  const env = {
    port: pdsPort, hostname: 'localhost', devMode: true,
    dataDirectory: dir, blobstoreDiskLocation: path.join(dir, 'blobs'),
    didPlcUrl: `http://127.0.0.1:${plcPort}`, inviteRequired: false,
    serviceHandleDomains: ['.test'], adminPassword: 'admin-not-real',
    jwtSecret: process.env.PDS_JWT_SECRET || 'test-jwt-secret-not-real',
    plcRotationKeyK256PrivateKeyHex: '5f4dcc3b5aa765d61d8327deb882cf99' + '5f4dcc3b5aa765d61d8327deb882cf99',
    bskyAppViewUrl: undefined, modServiceUrl: undefined, reportServiceUrl: undefined,
    // uploadBlob takes up to 5 MB by default: as much as app.bsky.embed.video's maxSize
    blobUploadLimit: 100 * 1000 * 1000,
  }
  const cfg = pds.envToCfg(env)
  const secrets = pds.envToSecrets(env)
  const server = await pds.PDS.create(cfg, secrets)
  await server.start()
  for (const signal of ['SIGTERM', 'SIGINT']) {
    process.on(signal, () => {
      // a clean stop, but never hang on it: the test run waits for this process
      setTimeout(() => process.exit(0), 2000).unref()
      Promise.allSettled([server.destroy(), plc.destroy()]).then(() => process.exit(0))
    })
  }
  console.log(`ready plc=${plcPort} pds=${pdsPort}`)
}
main().catch((e) => { console.error(e); process.exit(1) })
