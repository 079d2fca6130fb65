using CameraService.Abstractions.Media;

namespace CameraService.Core.Auth;

/// <summary>File listings of a camera-scoped caller: only the files of its cameras, paged as the store pages.</summary>
internal static class ScopedListing
{
    public static async Task<MediaPage> ListAsync(IMediaStore store, MediaKind kind, MediaQuery query, CameraScope? scope, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(query);
        if (scope is null || !scope.IsLimited || query.CameraId is not null)
        {
            // A device outside the scope was refused before the handler ran (SessionGuard.CheckScope).
            return await store.ListAsync(kind, query, cancellationToken).ConfigureAwait(false);
        }

        var cameras = scope.Cameras!;
        if (cameras.Count == 1)
        {
            return await store.ListAsync(kind, query with { CameraId = cameras[0] }, cancellationToken).ConfigureAwait(false);
        }

        // Several cameras: the newest (offset + limit) of each, merged in the catalog's order (newest first, then name
        // descending, as ListCursor expects), then the page.
        var wanted = (int)Math.Min((long)query.Offset + query.Limit, int.MaxValue);
        var files = new List<MediaFile>();
        var total = 0;
        foreach (var camera in cameras)
        {
            var page = await store.ListAsync(kind, new MediaQuery { Offset = 0, Limit = wanted, CameraId = camera }, cancellationToken).ConfigureAwait(false);
            files.AddRange(page.Files);
            total += page.Total;
        }

        var ordered = files
            .OrderByDescending(f => f.Modified)
            .ThenByDescending(f => f.FileName, StringComparer.Ordinal)
            .Skip(query.Offset)
            .Take(query.Limit)
            .ToList();
        return new MediaPage { Files = ordered, Total = total };
    }
}
