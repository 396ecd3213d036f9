/**
 * A scripted browser for HTTP-level flow tests: keeps cookies, follows redirects by hand (so tests
 * can stop at the client's redirect_uri), and reads forms out of our server-rendered pages. The real
 * browser tests use Chromium; this one keeps the protocol tests fast.
 */
export class UserAgent {
  private readonly cookies = new Map<string, string>();
  lastUrl = '';

  constructor(private readonly userAgent = 'usher-test-agent') {}

  private store(response: Response) {
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const index = pair!.indexOf('=');
      const name = pair!.slice(0, index).trim();
      const value = pair!.slice(index + 1).trim();
      if (!value || /expires=Thu, 01 Jan 1970/i.test(header)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  cookieHeader() {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  hasCookie(name: string) {
    return this.cookies.has(name);
  }

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('user-agent', this.userAgent);
    if (this.cookies.size) headers.set('cookie', this.cookieHeader());
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.store(response);
    this.lastUrl = url;
    return response;
  }

  /** Follows redirects until a page answers or the location leaves `origin` (e.g. the client's callback). */
  async follow(url: string, origin: string, init: RequestInit = {}): Promise<{ response: Response; url: string }> {
    let current = url;
    let response = await this.request(current, init);
    for (let hops = 0; hops < 15 && response.status >= 300 && response.status < 400; hops += 1) {
      const location = new URL(response.headers.get('location')!, current).toString();
      if (!location.startsWith(origin)) return { response, url: location };
      current = location;
      response = await this.request(current);
    }
    return { response, url: current };
  }

  /** Submits a form of ours (url-encoded) and follows redirects like a browser does after a POST. */
  async submit(action: string, origin: string, fields: Record<string, string>) {
    return this.follow(new URL(action, origin).toString(), origin, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }
}

/** Reads a form's action and hidden inputs out of a page. */
export function readForm(html: string, index = 0): { action: string; fields: Record<string, string> } {
  const forms = [...html.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)];
  const form = forms[index];
  if (!form) throw new Error(`no form #${index} in page:\n${html.slice(0, 2000)}`);
  const fields: Record<string, string> = {};
  for (const input of form[2]!.matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
    const name = /name="([^"]*)"/.exec(input[0])?.[1];
    const value = /value="([^"]*)"/.exec(input[0])?.[1] ?? '';
    if (name) fields[name] = value.replaceAll('&amp;', '&').replaceAll('&quot;', '"');
  }
  return { action: form[1]!.replaceAll('&amp;', '&'), fields };
}
