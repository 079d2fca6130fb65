using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace MediaMtxEmulator.Tests;

/// <summary>One emulator per test on a free loopback port, with its own recordings directory.</summary>
public abstract class EmulatorTestBase : IAsyncLifetime
{
    protected EmulatorTestBase()
    {
        Root = Directory.CreateTempSubdirectory("mtxemu-").FullName;
        Options = new EmulatorOptions
        {
            ApiAddress = "127.0.0.1:0",
            RtspAddress = "127.0.0.1:0",
            RecordingsRoot = Root,
            SeedAllOthers = false,
        };
    }

    protected string Root { get; }

    protected EmulatorOptions Options { get; }

    protected Emulator Emu { get; private set; } = null!;

    protected HttpClient Http { get; private set; } = null!;

    /// <summary>Lets a test class change options before the start.</summary>
    protected virtual void Configure(EmulatorOptions options)
    {
    }

    public async Task InitializeAsync()
    {
        Configure(Options);
        Emu = new Emulator(Options);
        var url = await Emu.StartAsync(CancellationToken.None);
        Http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Emu.DisposeAsync();
        Directory.Delete(Root, recursive: true);
    }

    protected async Task<(int Status, JsonNode? Body)> Call(HttpMethod method, string path, string? body = null)
    {
        using var req = new HttpRequestMessage(method, path);
        if (body != null)
        {
            req.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var resp = await Http.SendAsync(req);
        var text = await resp.Content.ReadAsStringAsync();
        return ((int)resp.StatusCode, text.Length == 0 || resp.Content.Headers.ContentType?.MediaType != "application/json" ? null : JsonNode.Parse(text));
    }

    protected Task<(int Status, JsonNode? Body)> Get(string path) => Call(HttpMethod.Get, path);

    protected Task<(int Status, JsonNode? Body)> Post(string path, string body) => Call(HttpMethod.Post, path, body);

    protected Task<(int Status, JsonNode? Body)> Patch(string path, string body) => Call(HttpMethod.Patch, path, body);

    protected Task<(int Status, JsonNode? Body)> Delete(string path) => Call(HttpMethod.Delete, path);

    protected static void AssertOk((int Status, JsonNode? Body) r)
    {
        Assert.Equal(200, r.Status);
        Assert.Equal("""{"status":"ok"}""", r.Body!.ToJsonString());
    }

    protected static void AssertError((int Status, JsonNode? Body) r, int status, string message)
    {
        Assert.Equal(status, r.Status);
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["status"] = "error", ["error"] = message }, r.Body), r.Body?.ToJsonString());
    }

    protected static void AssertJson(string expected, JsonNode? actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), actual?.ToJsonString());

    /// <summary>Sends a request with a literal request target (HttpClient would remove dot segments).</summary>
    protected async Task<(int Status, string Body)> RawRequest(string method, string target)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(Emu.ApiUrl.Host, Emu.ApiUrl.Port);
        var stream = tcp.GetStream();
        var req = $"{method} {target} HTTP/1.1\r\nHost: {Emu.ApiUrl.Authority}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(req));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var all = await reader.ReadToEndAsync();
        var status = int.Parse(all.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var bodyStart = all.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4;
        var body = all[bodyStart..];
        if (all.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            // One chunk: "<hex>\r\n<data>\r\n0\r\n\r\n".
            var nl = body.IndexOf("\r\n", StringComparison.Ordinal);
            var len = Convert.ToInt32(body[..nl], 16);
            body = body.Substring(nl + 2, len);
        }

        return (status, body);
    }

    protected static async Task WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException("condition not met in time");
            }

            await Task.Delay(50);
        }
    }
}
