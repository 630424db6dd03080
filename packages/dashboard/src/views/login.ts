import { required } from '../dom.ts';

/**
 * The sign-in form. `submit` checks the token and answers why it was refused, or undefined when
 * it was accepted.
 */
export class LoginView {
  readonly #root: HTMLElement;
  readonly #form: HTMLFormElement;
  readonly #input: HTMLInputElement;
  readonly #error: HTMLElement;
  readonly #button: HTMLButtonElement;

  constructor(root: HTMLElement, submit: (token: string) => Promise<string | undefined>) {
    this.#root = root;
    this.#form = required<HTMLFormElement>('login-form');
    this.#input = required<HTMLInputElement>('token-input');
    this.#error = required('login-error');
    this.#button = required<HTMLButtonElement>('login-submit');
    this.#form.addEventListener('submit', (event) => {
      event.preventDefault();
      const token = this.#input.value.trim();
      if (token === '') {
        this.#fail('Paste a token first.');
        return;
      }
      this.#busy(true);
      void submit(token).then((refused) => {
        this.#busy(false);
        if (refused !== undefined) this.#fail(refused);
      });
    });
  }

  /** Shows the form, with a message when the session ended for a reason. */
  show(message?: string): void {
    this.#root.hidden = false;
    this.#input.value = '';
    if (message === undefined) this.#clear();
    else this.#fail(message);
    this.#input.focus();
  }

  hide(): void {
    this.#root.hidden = true;
    this.#input.value = '';
    this.#clear();
  }

  #fail(message: string): void {
    this.#error.textContent = message;
    this.#error.hidden = false;
    this.#input.setAttribute('aria-invalid', 'true');
    this.#input.select();
  }

  #clear(): void {
    this.#error.textContent = '';
    this.#error.hidden = true;
    this.#input.removeAttribute('aria-invalid');
  }

  #busy(busy: boolean): void {
    this.#button.disabled = busy;
    this.#button.textContent = busy ? 'Checking…' : 'Sign in';
  }
}
