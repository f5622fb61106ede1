/**
 * The three React hooks `react.ts` uses, typed structurally, so this package needs no
 * React (nor `@types/react`) to build: React is an optional peer dependency, resolved by
 * the app's bundler. Only this package's own compilation sees this declaration.
 */
declare module "react" {
  export function useState<T>(initial: () => T): [T, (next: T) => void];
  export function useEffect(effect: () => undefined | (() => void), deps: readonly unknown[]): void;
  export function useSyncExternalStore<T>(
    subscribe: (onChange: () => void) => () => void,
    getSnapshot: () => T,
    getServerSnapshot?: () => T,
  ): T;
}
