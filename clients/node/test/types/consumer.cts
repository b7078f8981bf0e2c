// A typed consumer of @reel/client from CommonJS: the "require" types.
import { CatalogClient, Status, VERSION, isReelError, type Film } from '@reel/client';

export async function title(address: string, name: string): Promise<string | undefined> {
  const catalog = new CatalogClient(address);
  try {
    const { film } = await catalog.getFilm({ name });
    const found: Film | undefined = film;
    return found?.title;
  } catch (error) {
    if (isReelError(error, Status.NOT_FOUND)) return undefined;
    throw error;
  } finally {
    catalog.close();
  }
}

export const version: string = VERSION;
