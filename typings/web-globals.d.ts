// What the page's modules (server/web/*.js) use that the DOM library does not declare, for
// `tsc -p jsconfig.json` (make lint). Types only: nothing here is served or run.

/** The part of hls.js (server/web/vendor/hls.min.js, fetched by make) hls_player.js uses. */
interface HlsPlayerInstance {
  on(event: string, listener: (event: string, data: { fatal: boolean; details: string }) => void): void;
  loadSource(url: string): void;
  attachMedia(media: HTMLMediaElement): void;
  destroy(): void;
  /** Wall-clock time of what plays now (EXT-X-PROGRAM-DATE-TIME), once known. */
  readonly playingDate: Date | null;
}

interface HlsConstructor {
  new (config: { lowLatencyMode: boolean; enableWorker: boolean; backBufferLength: number }): HlsPlayerInstance;
  isSupported(): boolean;
  readonly Events: { readonly ERROR: string };
}

interface Window {
  /** Set by hls.min.js once its script has loaded. */
  Hls?: HlsConstructor;
  /** main.js: a read-only window onto the client for debugging and the browser tests. */
  roomcast?: Readonly<Record<string, unknown>>;
}

interface HTMLMediaElement {
  /** Safari's native HLS: the wall-clock time the stream starts at. */
  getStartDate?(): Date;
}
