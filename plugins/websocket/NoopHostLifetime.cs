using Microsoft.Extensions.Hosting;

namespace CameraService.Plugins.WebSocket;

/// <summary>
/// Host lifetime of the transport's inner web application. The default console lifetime would react to
/// SIGTERM/Ctrl+C by itself and stop the listener behind the outer host's back; the outer host owns signals
/// and stops the transport through <c>IApiTransport.StopAsync</c>.
/// </summary>
internal sealed class NoopHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
