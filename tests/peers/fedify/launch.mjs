// A small ActivityPub server written with Fedify, on 127.0.0.1: one actor, "reader", that
// looks other actors up (WebFinger, then their documents), follows them with a signed Follow,
// and keeps every activity its inbox receives, each one verified by Fedify (HTTP Signatures,
// the key's owner, the object fetched back where needed).
// Usage: node launch.mjs. Prints one JSON line {"url": URL} when ready. Control, for tests:
//   POST /_control/lookup  {"query": "<an object's URL>"}              -> the object found
//   POST /_control/webfinger {"resource": "<acct:… or an actor's URL>"} -> the JRD found
//   POST /_control/follow  {"actor": "<actor URL>"}                    -> {"follow": id}
//   POST /_control/like    {"object": "<object URL>", "to": "<actor URL>"}
//   POST /_control/reply   {"object": "<object URL>", "to": "<actor URL>", "text": "…"}
//   GET  /_control/received                                          -> [activities]
import http from 'node:http'
import net from 'node:net'
import { createFederation, MemoryKvStore, generateCryptoKeyPair } from '@fedify/fedify'
import {
  Accept, Create, Delete, Endpoints, Follow, Like, Note, Person, Update, lookupObject,
} from '@fedify/fedify/vocab'
import { lookupWebFinger } from '@fedify/webfinger'

const freePort = () => new Promise((resolve) => {
  const probe = net.createServer()
  probe.listen(0, '127.0.0.1', () => { const { port } = probe.address(); probe.close(() => resolve(port)) })
})

const port = await freePort()
const origin = `http://127.0.0.1:${port}`
const keys = [await generateCryptoKeyPair('RSASSA-PKCS1-v1_5')]
const received = []
const federation = createFederation({ kv: new MemoryKvStore(), allowPrivateAddress: true })

federation
  .setActorDispatcher('/users/{identifier}', async (ctx, identifier) => {
    if (identifier !== 'reader') return null
    const pairs = await ctx.getActorKeyPairs(identifier)
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: 'A reader',
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      publicKey: pairs[0].cryptographicKey,
      assertionMethods: pairs.map((pair) => pair.multikey),
    })
  })
  .setKeyPairsDispatcher(async (ctx, identifier) => (identifier === 'reader' ? keys : []))

const keep = async (ctx, activity) => {
  const object = await activity.getObject({ crossOrigin: 'trust' }).catch(() => null)
  received.push({
    type: activity.constructor.name,
    id: activity.id?.href,
    actor: activity.actorId?.href,
    object: object ? await object.toJsonLd() : activity.objectId?.href,
  })
}
federation
  .setInboxListeners('/users/{identifier}/inbox', '/inbox')
  .on(Accept, keep)
  .on(Create, keep)
  .on(Update, keep)
  .on(Delete, keep)

const reader = (ctx) => ctx.getActorUri('reader')
const control = {
  async lookup(ctx, body) {
    const found = await lookupObject(body.query, { documentLoader: ctx.documentLoader })
    if (found == null) return { status: 404, body: { error: 'not found' } }
    return { status: 200, body: await found.toJsonLd() }
  },
  async webfinger(ctx, body) {
    // An acct: resource is looked up over https, as Fedify always does; an actor's URL on
    // the scheme it has.
    const resource = body.resource.startsWith('acct:') ? body.resource : new URL(body.resource)
    const found = await lookupWebFinger(resource, { allowPrivateAddress: true })
    return found == null ? { status: 404, body: { error: 'not found' } } : { status: 200, body: found }
  },
  async follow(ctx, body) {
    const actor = await lookupObject(body.actor, { documentLoader: ctx.documentLoader })
    if (actor == null) return { status: 404, body: { error: 'no such actor' } }
    const follow = new Follow({ id: new URL(`${origin}/follows/${crypto.randomUUID()}`), actor: reader(ctx), object: actor.id })
    await ctx.sendActivity({ identifier: 'reader' }, actor, follow, { immediate: true })
    return { status: 200, body: { follow: follow.id.href } }
  },
  async like(ctx, body) {
    const actor = await lookupObject(body.to, { documentLoader: ctx.documentLoader })
    const like = new Like({ id: new URL(`${origin}/likes/${crypto.randomUUID()}`), actor: reader(ctx), object: new URL(body.object) })
    await ctx.sendActivity({ identifier: 'reader' }, actor, like, { immediate: true })
    return { status: 200, body: { like: like.id.href } }
  },
  async reply(ctx, body) {
    const actor = await lookupObject(body.to, { documentLoader: ctx.documentLoader })
    const id = new URL(`${origin}/notes/${crypto.randomUUID()}`)
    const note = new Note({ id, attribution: reader(ctx), content: body.text, replyTarget: new URL(body.object), to: actor.id })
    const create = new Create({ id: new URL(`${id.href}#create`), actor: reader(ctx), object: note, to: actor.id })
    await ctx.sendActivity({ identifier: 'reader' }, actor, create, { immediate: true })
    return { status: 200, body: { note: id.href } }
  },
}

const server = http.createServer(async (incoming, outgoing) => {
  const chunks = []
  for await (const chunk of incoming) chunks.push(chunk)
  const url = new URL(incoming.url, origin)
  const body = chunks.length ? Buffer.concat(chunks) : undefined
  try {
    if (url.pathname === '/_control/received') {
      outgoing.writeHead(200, { 'content-type': 'application/json' })
      outgoing.end(JSON.stringify(received))
      return
    }
    if (url.pathname.startsWith('/_control/')) {
      const ctx = federation.createContext(new URL(origin), undefined)
      const run = control[url.pathname.slice('/_control/'.length)]
      const answer = await run(ctx, JSON.parse(body.toString()))
      outgoing.writeHead(answer.status, { 'content-type': 'application/json' })
      outgoing.end(JSON.stringify(answer.body))
      return
    }
    const request = new Request(url, { method: incoming.method, headers: incoming.headers, body })
    const response = await federation.fetch(request, { contextData: undefined })
    outgoing.writeHead(response.status, Object.fromEntries(response.headers))
    outgoing.end(Buffer.from(await response.arrayBuffer()))
  } catch (error) {
    outgoing.writeHead(500, { 'content-type': 'application/json' })
    outgoing.end(JSON.stringify({ error: String(error?.stack || error) }))
  }
})
server.listen(port, '127.0.0.1', () => console.log(JSON.stringify({ url: origin })))
