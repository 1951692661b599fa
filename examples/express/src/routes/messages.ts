import type { WAMessage } from '@whiskeysockets/baileys'
import type { MediaType } from 'wafleet'
import { visibleSession } from '../auth/access.js'
import { route, type RouteDef } from '../http/route.js'
import { locationBody, mediaBody, pollBody, reactionBody, textBody } from '../http/schemas.js'
import type { GatewayDeps } from './deps.js'
import { schemas } from './openapi-schemas.js'

/** What a send answers: the WhatsApp message id (for reactions, edits, receipts) and where it went. */
function sent(message: WAMessage) {
  const stamp = message.messageTimestamp
  // Baileys gives a number, or a protobuf Long when the message came from a decoded proto.
  const seconds = typeof stamp === 'number' ? stamp : stamp ? stamp.toNumber() : Math.floor(Date.now() / 1000)
  return { id: message.key.id, to: message.key.remoteJid, status: 'sent', timestamp: new Date(seconds * 1000).toISOString() }
}

/** Text, media, location, reaction and poll. */
export function messageRoutes({ manager }: GatewayDeps): RouteDef[] {
  const response = { status: 201, description: 'Sent', schema: schemas.sentMessage }
  return [
    route({
      method: 'post',
      path: '/sessions/:id/messages/text',
      tag: 'Messages',
      summary: 'Send a text',
      access: 'any',
      body: textBody,
      response,
      handler: async ({ principal, params, body }) => sent(await visibleSession(manager, principal, params.id!).sendText(body.to, body.text)),
    }),
    route({
      method: 'post',
      path: '/sessions/:id/messages/media',
      tag: 'Messages',
      summary: 'Send an image, video, audio, voice note, document or sticker from a URL or base64',
      access: 'any',
      body: mediaBody,
      response,
      handler: async ({ principal, params, body }) => {
        const { to, type, ...media } = body
        const session = visibleSession(manager, principal, params.id!)
        return sent(await session.sendMedia(to, { ...media, ...(type ? { type: type as MediaType } : {}) }))
      },
    }),
    route({
      method: 'post',
      path: '/sessions/:id/messages/location',
      tag: 'Messages',
      summary: 'Send a location',
      access: 'any',
      body: locationBody,
      response,
      handler: async ({ principal, params, body }) => {
        const { to, ...location } = body
        return sent(await visibleSession(manager, principal, params.id!).sendLocation(to, location))
      },
    }),
    route({
      method: 'post',
      path: '/sessions/:id/messages/reaction',
      tag: 'Messages',
      summary: 'React to a message (an empty emoji removes the reaction)',
      access: 'any',
      body: reactionBody,
      response,
      handler: async ({ principal, params, body }) => {
        const key = { id: body.messageId, fromMe: body.fromMe, ...(body.participant ? { participant: body.participant } : {}) }
        return sent(await visibleSession(manager, principal, params.id!).sendReaction(body.to, key, body.emoji))
      },
    }),
    route({
      method: 'post',
      path: '/sessions/:id/messages/poll',
      tag: 'Messages',
      summary: 'Send a poll',
      access: 'any',
      body: pollBody,
      response,
      handler: async ({ principal, params, body }) => {
        const { to, ...poll } = body
        return sent(await visibleSession(manager, principal, params.id!).sendPoll(to, poll))
      },
    }),
  ]
}
