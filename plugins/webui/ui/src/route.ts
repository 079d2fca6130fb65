import { useEffect, useState } from 'preact/hooks';

export interface Route {
  page: 'cameras' | 'camera' | 'files' | 'system';
  arg: string | null;
  query: URLSearchParams;
}

/** Hash routes: #/cameras, #/camera/camera0, #/files/recordings?page=2&device=camera0, #/system. */
export function parseRoute(hash: string): Route {
  const [pathPart, queryPart] = hash.replace(/^#/, '').split('?', 2);
  const parts = pathPart.split('/').filter(Boolean);
  const query = new URLSearchParams(queryPart ?? '');
  switch (parts[0]) {
    case 'camera':
      return parts[1] ? { page: 'camera', arg: decodeURIComponent(parts[1]), query } : { page: 'cameras', arg: null, query };
    case 'files':
      return { page: 'files', arg: parts[1] === 'snapshots' ? 'snapshots' : 'recordings', query };
    case 'system':
      return { page: 'system', arg: null, query };
    default:
      return { page: 'cameras', arg: null, query };
  }
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}
