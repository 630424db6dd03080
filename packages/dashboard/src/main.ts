import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { Api, ApiError } from './api.ts';
import { Dashboard } from './dashboard.ts';
import { required } from './dom.ts';
import { forgetToken, storedToken, storeToken } from './session.ts';
import { LoginView } from './views/login.ts';

let dashboard: Dashboard | undefined;
const login = new LoginView(required('login-view'), signIn);

/** Checks the token with a read it must be allowed, and opens the page with that reply. */
async function signIn(token: string): Promise<string | undefined> {
  try {
    const block = await new Api(token).activeBlock();
    storeToken(token);
    open(token, block);
    return undefined;
  } catch (error) {
    return refusal(error);
  }
}

function open(token: string, ...first: Parameters<Dashboard['start']>): void {
  login.hide();
  dashboard = new Dashboard(token, signOut);
  dashboard.start(...first);
}

function signOut(message?: string): void {
  forgetToken();
  dashboard?.stop();
  dashboard = undefined;
  login.show(message);
}

/** Why a token was not accepted, in words that say what to do. */
function refusal(error: unknown): string {
  if (!(error instanceof ApiError)) return `Something went wrong: ${String(error)}`;
  switch (error.status) {
    case 0:
      return 'The server could not be reached. Check the connection and try again.';
    case 401:
      return 'That token was not accepted. Check that it was copied whole, and that it has not been revoked.';
    case 403:
      return 'This token cannot read usage (it is a device or metrics token). Sign in with a viewer or admin token.';
    case 429:
      return 'Too many attempts. Wait a minute, then try again.';
    default:
      return `The server answered ${error.status}: ${error.message}`;
  }
}

const token = storedToken();
if (token === undefined) login.show();
else open(token);
