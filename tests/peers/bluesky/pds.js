// Local Bluesky PDS with a loopback PLC directory (in-memory), for tests.
const { PlcServer, Database: PlcDb } = require('@did-plc/server')
const pds = require('@atproto/pds')
const fs = require('fs'); const os = require('os'); const path = require('path')
async function main() {
  const plcPort = Number(process.env.PLC_PORT || 2582)
  const pdsPort = Number(process.env.PDS_PORT || 2583)
  const plc = PlcServer.create({ db: PlcDb.mock(), port: plcPort })
  await plc.start()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pds-'))
  const env = {
    port: pdsPort, hostname: 'localhost', devMode: true,
    dataDirectory: dir, blobstoreDiskLocation: path.join(dir, 'blobs'),
    didPlcUrl: `http://127.0.0.1:${plcPort}`, inviteRequired: false,
    serviceHandleDomains: ['.test'], jwtSecret: 'test-jwt-secret-not-real', adminPassword: 'admin-not-real',
    plcRotationKeyK256PrivateKeyHex: '5f4dcc3b5aa765d61d8327deb882cf99' + '5f4dcc3b5aa765d61d8327deb882cf99',
    bskyAppViewUrl: undefined, modServiceUrl: undefined, reportServiceUrl: undefined,
  }
  const cfg = pds.envToCfg(env)
  const secrets = pds.envToSecrets(env)
  const server = await pds.PDS.create(cfg, secrets)
  await server.start()
  console.log(`ready plc=${plcPort} pds=${pdsPort}`)
}
main().catch((e) => { console.error(e); process.exit(1) })
