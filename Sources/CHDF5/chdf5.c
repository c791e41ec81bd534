#include "chdf5.h"
