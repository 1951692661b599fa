import { randomUUID } from 'node:crypto'
import type { ErrorRequestHandler, RequestHandler } from 'express'
import type { Logger } from 'wafleet'
import { ApiError, toErrorBody, type ErrorBody } from './errors.js'

/** Unknown paths answer in the same JSON shape as every other error. */
export const routeNotFound: RequestHandler = (req, _res, next) => {
  next(new ApiError(404, 'ROUTE_NOT_FOUND', `No route for ${req.method} ${req.path}`))
}

/**
 * The last middleware: every error becomes `{ statusCode, code, message, details }`. Anything the
 * client may not see (storage failures, bugs) is logged with a request id and answered as a bare
 * INTERNAL_ERROR carrying only that id: no stack, no SQL, no driver message.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) {
      // A stream (SSE, PNG) already started: the status is gone, only closing is left.
      next(error)
      return
    }
    let body: ErrorBody | null = toErrorBody(error)
    if (!body) {
      const requestId = randomUUID()
      logger.error({ err: error, requestId, method: req.method, path: req.path }, 'request failed')
      body = { statusCode: 500, code: 'INTERNAL_ERROR', message: 'Internal error', details: { requestId } }
    } else if (body.statusCode >= 500) {
      logger.warn({ code: body.code, method: req.method, path: req.path }, body.message)
    }
    res.status(body.statusCode).json(body)
  }
}
