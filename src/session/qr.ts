import QRCode from 'qrcode'

/** Baileys shows the first QR of a connection for 60 s and each following one for 20 s (unless `qrTimeout` is set). */
export function qrLifetimeMs(attempt: number, qrTimeout: number | undefined): number {
  return qrTimeout ?? (attempt === 1 ? 60_000 : 20_000)
}

/** PNG data URL of a QR string, for `<img src>` or JSON APIs. */
export function renderQrDataUrl(qr: string): Promise<string> {
  return QRCode.toDataURL(qr, { errorCorrectionLevel: 'L', margin: 2, width: 264 })
}

/** PNG bytes of a QR string. */
export function renderQrPng(qr: string): Promise<Buffer> {
  return QRCode.toBuffer(qr, { errorCorrectionLevel: 'L', margin: 2, width: 264, type: 'png' })
}

/** The QR drawn with block characters, for printing in a terminal. */
export function renderQrTerminal(qr: string): Promise<string> {
  return QRCode.toString(qr, { type: 'terminal', small: true, errorCorrectionLevel: 'L' })
}
