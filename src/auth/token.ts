/** An access token and when it stops being valid. */
export interface AccessToken {
  readonly token: string;
  readonly tokenType: string;
  /** Expiry as Unix epoch milliseconds. */
  readonly expiresOnMs: number;
}

/** Anything that can produce an access token: a client secret now, a certificate or a user later. */
export interface TokenCredential {
  getToken(signal?: AbortSignal): Promise<AccessToken>;
}
