/** Hash routing (#/products/…): works behind any static path and needs no server rewrites. */
import { useEffect, useState } from "preact/hooks";

export function currentPath(): string {
  return location.hash.replace(/^#/, "") || "/products";
}

export function navigate(path: string): void {
  location.hash = path;
}

export function useRoute(): string {
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    const on = () => setPath(currentPath());
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return path;
}
