// hls.js ships one declaration file for its full and light builds; the light build has the same API.
declare module 'hls.js/light' {
  import Hls from 'hls.js';
  export default Hls;
}
