/**
 * AWS's published example events (test helper, not shipped), copied field for field:
 * - `functionUrlExample`: Lambda developer guide, "Invoking Lambda function URLs" → "Request payload
 *   format" (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads);
 * - `httpApiV2Example`: API Gateway developer guide, "Create AWS Lambda proxy integrations for HTTP
 *   APIs" → "Payload format version" 2.0 structure
 *   (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html);
 * - `httpApiGetExample`: the same page's format, as aws-lambda-go's `apigw-v2-request-no-authorizer.json`
 *   records a GET through a real HTTP API.
 * Tests replace only `headers`, `body` and `isBase64Encoded` with a webhook request's.
 */
export const functionUrlExample = {
  version: '2.0',
  routeKey: '$default',
  rawPath: '/my/path',
  rawQueryString: 'parameter1=value1&parameter1=value2&parameter2=value',
  cookies: ['cookie1', 'cookie2'],
  headers: { header1: 'value1', header2: 'value1,value2' },
  queryStringParameters: { parameter1: 'value1,value2', parameter2: 'value' },
  requestContext: {
    accountId: '123456789012',
    apiId: '<urlid>',
    authentication: null,
    authorizer: { iam: { accessKey: 'AKIA...', accountId: '111122223333', callerId: 'AIDA...', cognitoIdentity: null, principalOrgId: null, userArn: 'arn:aws:iam::111122223333:user/example-user', userId: 'AIDA...' } },
    domainName: '<url-id>.lambda-url.us-west-2.on.aws',
    domainPrefix: '<url-id>',
    http: { method: 'POST', path: '/my/path', protocol: 'HTTP/1.1', sourceIp: '123.123.123.123', userAgent: 'agent' },
    requestId: 'id',
    routeKey: '$default',
    stage: '$default',
    time: '12/Mar/2020:19:03:58 +0000',
    timeEpoch: 1583348638390,
  },
  body: 'Hello from client!',
  pathParameters: null,
  isBase64Encoded: false,
  stageVariables: null,
}

export const httpApiV2Example = {
  version: '2.0',
  routeKey: '$default',
  rawPath: '/my/path',
  rawQueryString: 'parameter1=value1&parameter1=value2&parameter2=value',
  cookies: ['cookie1', 'cookie2'],
  headers: { header1: 'value1', header2: 'value1,value2' },
  queryStringParameters: { parameter1: 'value1,value2', parameter2: 'value' },
  requestContext: {
    accountId: '123456789012',
    apiId: 'api-id',
    authentication: { clientCert: { clientCertPem: 'CERT_CONTENT', subjectDN: 'www.example.com', issuerDN: 'Example issuer', serialNumber: 'a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1', validity: { notBefore: 'May 28 12:30:02 2019 GMT', notAfter: 'Aug  5 09:36:04 2021 GMT' } } },
    authorizer: { jwt: { claims: { claim1: 'value1', claim2: 'value2' }, scopes: ['scope1', 'scope2'] } },
    domainName: 'id.execute-api.us-east-1.amazonaws.com',
    domainPrefix: 'id',
    http: { method: 'POST', path: '/my/path', protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'agent' },
    requestId: 'id',
    routeKey: '$default',
    stage: '$default',
    time: '12/Mar/2020:19:03:58 +0000',
    timeEpoch: 1583348638390,
  },
  body: 'Hello from Lambda',
  pathParameters: { parameter1: 'value1' },
  isBase64Encoded: false,
  stageVariables: { stageVariable1: 'value1', stageVariable2: 'value2' },
}

export const httpApiGetExample = {
  version: '2.0',
  routeKey: '$default',
  rawPath: '/',
  rawQueryString: '',
  headers: {
    accept: '*/*',
    'content-length': '0',
    host: 'aaaaaaaaaa.execute-api.us-west-2.amazonaws.com',
    'user-agent': 'curl/7.58.0',
    'x-amzn-trace-id': 'Root=1-5e9f0c65-1de4d666d4dd26aced652b6c',
    'x-forwarded-for': '1.2.3.4',
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
  },
  requestContext: {
    accountId: '123456789012',
    apiId: 'aaaaaaaaaa',
    domainName: 'aaaaaaaaaa.execute-api.us-west-2.amazonaws.com',
    domainPrefix: 'aaaaaaaaaa',
    http: { method: 'GET', path: '/', protocol: 'HTTP/1.1', sourceIp: '1.2.3.4', userAgent: 'curl/7.58.0' },
    requestId: 'LV7fzho-PHcEJPw=',
    routeKey: '$default',
    stage: '$default',
    time: '21/Apr/2020:15:08:21 +0000',
    timeEpoch: 1587481701067,
  },
  isBase64Encoded: false,
}
